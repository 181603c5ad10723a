import { roundTrips } from '../../bench/isolation';

describe('isolation round trips (virtual 20 ms per AWS call and evidence append)', () => {
  it('cuts the network within 5 sequential round trips and ends within 8', async () => {
    expect(await roundTrips({ groupsExist: true, crossAccount: false })).toEqual({ cut: 5, end: 7 });
  });

  it('costs two more round trips the first time a VPC needs its isolation groups', async () => {
    expect(await roundTrips({ groupsExist: false, crossAccount: false })).toEqual({ cut: 7, end: 9 });
  });

  it('costs one more round trip (AssumeRole) in a member account', async () => {
    expect(await roundTrips({ groupsExist: true, crossAccount: true })).toEqual({ cut: 6, end: 8 });
  });
});
