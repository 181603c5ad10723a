import { roundTrips } from '../../bench/isolation';

describe('isolation round trips (virtual 20 ms per AWS call and evidence append)', () => {
  it('cuts the network within 5 sequential round trips, console captured in round 4 before it, and ends within 8', async () => {
    expect(await roundTrips({ groupsExist: true, crossAccount: false })).toEqual({ cut: 5, end: 7, capture: 4 });
  });

  it('costs three more round trips the first time a VPC needs its isolation groups (create, set rules, verify)', async () => {
    expect(await roundTrips({ groupsExist: false, crossAccount: false })).toEqual({ cut: 8, end: 10, capture: 4 });
  });

  it('costs one more round trip (AssumeRole) in a member account', async () => {
    expect(await roundTrips({ groupsExist: true, crossAccount: true })).toEqual({ cut: 6, end: 8, capture: 5 });
  });
});
