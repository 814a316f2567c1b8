/**
 * Seed orders of the SOAP order service: A-1001..A-1040. Order A-(1000+k) belongs to customer 10000+((k-1) % 30)+1,
 * so customers 10001..10010 have two orders, the others one. Money is kept in cents to stay exact.
 */
import { CUSTOMER_ID_OFFSET, seedCustomer, USER_COUNT } from './seed-people.js';
import { DAY_MS, HOUR_MS, legacyDate, legacyTimestamp } from './time.js';

export type OrderStatus = 'SHIPPED' | 'PROCESSING' | 'DELIVERED' | 'CANCELLED' | 'ON_HOLD';

export interface OrderItem {
  sku: string;
  qty: number;
  name: string;
}

export interface OrderRecord {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  carrier: string;
  trackingNo: string;
  totalCents: number;
  currency: string;
  placedAt: string;
  estimatedDelivery: string;
  note: string;
  items: OrderItem[];
}

export const ORDER_COUNT = 40;
/** The order the backend always fails on (answers E500 inside a 200). */
export const BROKEN_ORDER_ID = 'A-1013';

const STATUSES: readonly OrderStatus[] = ['SHIPPED', 'PROCESSING', 'DELIVERED', 'CANCELLED', 'ON_HOLD'];
const CARRIERS = ['DHL', 'DPD', 'UPS', 'Hermes', 'GLS'] as const;
const CATALOG: readonly (readonly [string, string, number])[] = [
  ['TSHIRT-BLK-M', 'T-Shirt black, M', 1995],
  ['HOODIE-GRY-L', 'Hoodie grey, L', 4990],
  ['MUG-LOGO', 'Coffee mug "Logo"', 990],
  ['SOCKS-3PK', 'Socks, 3-pack', 1250],
  ['CAP-NVY', 'Cap navy', 1700],
  ['BAG-TOTE', 'Tote bag & pouch', 1495],
  ['JACKET-RAIN-M', 'Rain jacket, M', 8900],
  ['BOTTLE-750', 'Water bottle 0.75 l', 2100],
];
const PLACED_BASE = Date.UTC(2024, 0, 2, 10, 15, 0);

export const orderIdFor = (k: number): string => `A-${1000 + k}`;

function trackingNo(carrier: string, k: number): string {
  if (carrier === 'DHL') return `00340434${String(k * 7919).padStart(10, '0')}`;
  if (carrier === 'UPS') return `1Z999AA1${String(k * 104_729).padStart(10, '0')}`;
  return `${carrier.slice(0, 3).toUpperCase()}${String(k * 7919).padStart(10, '0')}`;
}

function noteFor(k: number, status: OrderStatus): string {
  if (k === 1) return 'Leave at <door> & ring';
  if (status === 'ON_HOLD') return 'Payment verification pending';
  if (k % 7 === 3) return 'Gift wrap, please — no invoice in the parcel';
  if (k % 11 === 5) return 'Kunde wünscht Lieferung nach 18 Uhr';
  return '';
}

export function seedOrder(k: number): OrderRecord {
  const n = ((k - 1) % USER_COUNT) + 1;
  const status = STATUSES[(k - 1) % STATUSES.length] ?? 'PROCESSING';
  const shipped = status === 'SHIPPED' || status === 'DELIVERED';
  const carrier = shipped ? (CARRIERS[k % CARRIERS.length] ?? 'DHL') : '';
  const items: OrderItem[] = [];
  let totalCents = 0;
  // 1-3 items; A-1001 is a single hoodie for 49.90.
  for (let j = 0; j <= (k + 2) % 3; j++) {
    const [sku, name, price] = CATALOG[(k * 3 + j * 5 + 6) % CATALOG.length] ?? ['MISC', 'Misc', 0];
    const qty = ((k + j + 1) % 2) + 1;
    items.push({ sku, qty, name });
    totalCents += qty * price;
  }
  const country = seedCustomer(n).ADDRESS.COUNTRY_CD;
  const placedMs = PLACED_BASE + (k - 1) * 31 * HOUR_MS;
  return {
    orderId: orderIdFor(k),
    customerId: String(CUSTOMER_ID_OFFSET + n),
    status,
    carrier,
    trackingNo: carrier === '' ? '' : trackingNo(carrier, k),
    totalCents,
    currency: country === 'US' ? 'USD' : country === 'GB' ? 'GBP' : 'EUR',
    placedAt: legacyTimestamp(placedMs),
    estimatedDelivery: status === 'CANCELLED' ? '' : legacyDate(placedMs + 7 * DAY_MS),
    note: noteFor(k, status),
    items,
  };
}

export function seedOrders(): Map<string, OrderRecord> {
  const orders = new Map<string, OrderRecord>();
  for (let k = 1; k <= ORDER_COUNT; k++) orders.set(orderIdFor(k), seedOrder(k));
  return orders;
}

/** The seeded order of the customer behind user n used by that user's tickets (alternating between two if any). */
export function orderForRequester(userId: number, round: number): string {
  const k = userId <= ORDER_COUNT - USER_COUNT && round % 2 === 1 ? userId + USER_COUNT : userId;
  return orderIdFor(k);
}
